import { HttpError } from "fresh";
import { define } from "../utils.ts";

export const handler = define.handlers(() => {
  throw new HttpError(404, "No such thing");
});
