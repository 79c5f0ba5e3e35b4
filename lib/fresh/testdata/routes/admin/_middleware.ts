import { HttpError } from "fresh";
import { define } from "../../utils.ts";

export const handler = define.middleware((ctx) => {
  if (ctx.req.headers.get("x-user") !== "admin") throw new HttpError(403, "Admins only");
  ctx.state.user = "admin";
  return ctx.next();
});
