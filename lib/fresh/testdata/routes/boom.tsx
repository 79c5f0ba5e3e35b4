import { define } from "../utils.ts";

export const handler = define.handlers({
  GET() {
    throw new Error("kaboom");
  },
});

export default define.page(() => <p>never rendered</p>);
