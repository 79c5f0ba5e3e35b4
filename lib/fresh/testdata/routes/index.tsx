import { define } from "../utils.ts";

export default define.page(function Home({ state, route }) {
  return (
    <>
      <h1>Home</h1>
      <p class="trail">{state.trail?.join(",")}</p>
      <p class="route">{route}</p>
    </>
  );
});
