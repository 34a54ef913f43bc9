// SCAFFOLD: replaced by the screen's owner
export function Explore() {
  return <p>Explore</p>;
}
