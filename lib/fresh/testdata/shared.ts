/** Module state shared by the fixture's islands: one instance in the browser, however chunked. */
import { signal } from "@preact/signals";

export const clicks = signal(0);
