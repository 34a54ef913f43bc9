// SCAFFOLD: replaced by the screen's owner
export function Search() {
  return <p>Search</p>;
}
