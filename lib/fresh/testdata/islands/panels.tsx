import { Signal } from "@preact/signals";
import { useEffect, useState } from "preact/hooks";
import { clicks } from "../shared.ts";

/** Shows the shared click count, from another chunk than Counter's. */
export function Clicks() {
  return <p class="clicks">clicks: {clicks}</p>;
}

/** A small island that is also rendered inside Counter. */
export function Badge({ text }: { text: string }) {
  return <em class="badge">{text}</em>;
}

export interface EchoProps {
  text: string;
  count: Signal<number>;
  when: Date;
  nested: { list: (number | { deep: string | null })[]; empty: Record<string, never> };
}

/** Reports, once revived, what its props arrived as. */
export function Echo({ text, count, when, nested }: EchoProps) {
  const [report, setReport] = useState("");
  useEffect(() => {
    setReport(JSON.stringify({
      text,
      countIsSignal: count instanceof Signal,
      whenIsDate: when instanceof Date,
      when: when.toISOString(),
      nested,
    }));
  }, []);
  return (
    <section class="echo">
      <p class="text">{text}</p>
      <p class="count">count: {count}</p>
      <output>{report}</output>
    </section>
  );
}
