import { define } from "../utils.ts";

export default define.layout(function RootLayout({ Component }) {
  return (
    <div class="root-layout">
      <Component />
    </div>
  );
});
