// SCAFFOLD: replaced by the screen's owner
export function Hashtag() {
  return <p>Hashtag</p>;
}
