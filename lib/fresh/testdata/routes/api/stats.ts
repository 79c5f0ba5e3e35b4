import { define } from "../../utils.ts";

export const handler = define.handlers({
  GET(ctx) {
    return Response.json({ ok: true, trail: ctx.state.trail ?? [] });
  },
  async POST(ctx) {
    const body = await ctx.req.json();
    return Response.json({ received: body }, { status: 201 });
  },
});
