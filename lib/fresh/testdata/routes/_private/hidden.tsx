// Inside a "_" folder: ignored by the router.
export default function Hidden() {
  return <h1>hidden</h1>;
}
