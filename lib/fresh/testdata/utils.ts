import { createDefine } from "fresh";

/** State the fixture app's middlewares fill in. */
export interface State {
  /** Names of the middlewares that ran, in order. */
  trail?: string[];
  user?: string;
}

export const define = createDefine<State>();

/** Appends `name` to `ctx.state.trail`. */
export function mark(state: State, name: string): void {
  (state.trail ??= []).push(name);
}
