// Inside a "(_...)" folder: components, not routes.
export default function Widget() {
  return <span>widget</span>;
}
