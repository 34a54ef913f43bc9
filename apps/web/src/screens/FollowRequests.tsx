// SCAFFOLD: replaced by the screen's owner
export function FollowRequests() {
  return <p>FollowRequests</p>;
}
