// Not a special file: starts with "_", so the router ignores it.
export const handler = () => new Response("_utils must not be a route");
