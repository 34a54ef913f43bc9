// SCAFFOLD: replaced by the screen's owner
export function Profile() {
  return <p>Profile</p>;
}
