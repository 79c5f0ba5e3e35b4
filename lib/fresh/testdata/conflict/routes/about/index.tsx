export default function AboutIndex() {
  return <h1>About index</h1>;
}
