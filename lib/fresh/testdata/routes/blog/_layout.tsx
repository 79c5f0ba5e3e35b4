import { define } from "../../utils.ts";

export default define.layout(function BlogLayout({ Component }) {
  return (
    <section class="blog-layout">
      <Component />
    </section>
  );
});
