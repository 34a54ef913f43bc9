// SCAFFOLD: replaced by the screen's owner
export function PostPage() {
  return <p>PostPage</p>;
}
export function Likers() {
  return <p>Likers</p>;
}
