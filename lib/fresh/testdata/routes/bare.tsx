import type { RouteConfig } from "fresh";

export const config: RouteConfig = { skipAppWrapper: true, skipInheritedLayouts: true };

export default function Bare() {
  return <p>bare</p>;
}
