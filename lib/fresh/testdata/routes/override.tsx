import type { RouteConfig } from "fresh";
import { define } from "../utils.ts";

export const config: RouteConfig = { routeOverride: "/custom/:thing" };

export default define.page(({ params }) => <p>override {params.thing}</p>);
