import type { Signal } from "@preact/signals";
import { IS_BROWSER } from "fresh/runtime";
import { clicks } from "../shared.ts";
import { Badge } from "./panels.tsx";

export interface CounterProps {
  count: Signal<number>;
  since: Date;
  label: string;
}

/** Increments its signal prop and the shared click count; renders another island inside. */
export default function Counter({ count, since, label }: CounterProps) {
  return (
    <div class="counter">
      <button
        type="button"
        onClick={() => {
          count.value++;
          clicks.value++;
        }}
      >
        {label} {count}
      </button>
      <span class="env">{IS_BROWSER ? "browser" : "server"}</span>
      <time>{since.toISOString()}</time>
      <Badge text="inside" />
    </div>
  );
}
