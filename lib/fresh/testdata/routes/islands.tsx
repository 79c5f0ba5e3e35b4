import { signal } from "@preact/signals";
import { asset } from "fresh/runtime";
import Counter from "../islands/Counter.tsx";
import { Clicks, Echo } from "../islands/panels.tsx";
import { define } from "../utils.ts";

export const TRICKY = "</script><script>alert(1)</script><!-- -->\u2028'\"&";

export default define.page(function Islands() {
  const count = signal(3);
  return (
    <main>
      <link rel="stylesheet" href={asset("/style.css")} />
      <Counter count={count} since={new Date(Date.UTC(2020, 0, 2, 3, 4, 5))} label="add" />
      <Clicks />
      <Echo
        text={TRICKY}
        count={count}
        when={new Date(0)}
        nested={{ list: [1, { deep: "x" }, { deep: null }], empty: {} }}
      />
    </main>
  );
});
