// SCAFFOLD: replaced by the screen's owner
export function Saved() {
  return <p>Saved</p>;
}
