import { define, mark } from "../../utils.ts";

export const handler = define.middleware([
  (ctx) => {
    mark(ctx.state, "blog/_middleware#1");
    return ctx.next();
  },
  (ctx) => {
    mark(ctx.state, "blog/_middleware#2");
    return ctx.next();
  },
]);
