import { signal } from "@preact/signals";
import { Echo } from "../islands/panels.tsx";
import { define } from "../utils.ts";

/** Passes a function where the island expects data: rendering must refuse it. */
export default define.page(function BadIsland() {
  const props = {
    text: "x",
    count: signal(0),
    when: new Date(0),
    nested: { list: [], empty: {} },
    onPick: () => {},
  };
  return <Echo {...props} />;
});
