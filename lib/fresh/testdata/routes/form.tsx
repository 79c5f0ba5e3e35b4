import { page } from "fresh";
import { define } from "../utils.ts";

export const handler = define.handlers<{ name: string } | undefined>({
  async POST(ctx) {
    const form = await ctx.req.formData();
    return page({ name: String(form.get("name")) }, { status: 201 });
  },
});

export default define.page<typeof handler>(function Form({ data }) {
  return data ? <p>Thanks {data.name}</p> : <form method="post">form</form>;
});
