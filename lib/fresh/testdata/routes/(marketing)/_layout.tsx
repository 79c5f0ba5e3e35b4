import { define } from "../../utils.ts";

export default define.layout(function MarketingLayout({ Component }) {
  return (
    <div class="marketing-layout">
      <Component />
    </div>
  );
});
