// SCAFFOLD: replaced by the screen's owner
export function Notifications() {
  return <p>Notifications</p>;
}
