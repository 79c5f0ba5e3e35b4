import { define } from "../utils.ts";

export default define.page(function Slug({ params }) {
  return <h1>Slug {params.slug}</h1>;
});
