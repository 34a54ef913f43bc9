import { useEffect, useState } from 'react';

/**
 * Short messages for things that happen away from a form: a like that did not go through, a
 * copied link. Announced politely to screen readers; errors stay longer than confirmations.
 */
interface Toast {
  id: number;
  text: string;
  kind: 'info' | 'error';
}

let nextId = 1;
const listeners = new Set<(toasts: Toast[]) => void>();
let toasts: Toast[] = [];

function publish(next: Toast[]) {
  toasts = next;
  for (const listener of listeners) listener(toasts);
}

export function toast(text: string, kind: 'info' | 'error' = 'info'): void {
  const id = nextId++;
  publish([...toasts.filter((t) => t.text !== text), { id, text, kind }].slice(-3));
  setTimeout(() => publish(toasts.filter((t) => t.id !== id)), kind === 'error' ? 6000 : 3000);
}

export function Toasts() {
  const [items, setItems] = useState(toasts);
  useEffect(() => {
    listeners.add(setItems);
    return () => void listeners.delete(setItems);
  }, []);
  return (
    <div className="toasts" role="status" aria-live="polite">
      {items.map((t) => (
        <p key={t.id} className={`toast toast-${t.kind}`}>
          {t.text}
        </p>
      ))}
    </div>
  );
}
