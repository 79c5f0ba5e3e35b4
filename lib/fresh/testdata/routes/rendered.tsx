import { define } from "../utils.ts";

// A handler that renders a vnode through ctx.render(): app wrapper and layouts apply.
export const handler = define.handlers({
  GET(ctx) {
    return ctx.render(<p>rendered by ctx</p>, { status: 202, headers: { "x-rendered": "1" } });
  },
});
