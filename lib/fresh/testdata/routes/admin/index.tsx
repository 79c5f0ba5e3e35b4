import { define } from "../../utils.ts";

export default define.page(function Admin({ state }) {
  return <h1>Hello {state.user}</h1>;
});
