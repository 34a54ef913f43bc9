// SCAFFOLD: replaced by the screen's owner
export function FollowList() {
  return <p>FollowList</p>;
}
