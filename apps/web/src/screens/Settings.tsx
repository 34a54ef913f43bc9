// SCAFFOLD: replaced by the screen's owner
export function Settings() {
  return <p>Settings</p>;
}
