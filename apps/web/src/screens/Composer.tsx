// SCAFFOLD: replaced by the screen's owner
export function Composer() {
  return <p>Composer</p>;
}
