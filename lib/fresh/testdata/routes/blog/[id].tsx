import { page } from "fresh";
import { define } from "../../utils.ts";

export const handler = define.handlers({
  GET(ctx) {
    return page({ id: ctx.params.id, trail: ctx.state.trail ?? [] }, {
      headers: { "x-post": ctx.params.id },
    });
  },
});

export default define.page<typeof handler>(function Post({ data }) {
  return (
    <article>
      <h1>Blog post {data.id}</h1>
      <p class="trail">{data.trail.join(",")}</p>
    </article>
  );
});
