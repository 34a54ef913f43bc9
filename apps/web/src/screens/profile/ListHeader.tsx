import type { ReactNode } from 'react';
import { Link } from 'wouter';
import { ChevronLeft } from '../../components/icons.js';

/** A list screen's title, with a way back to where the list belongs. */
export function ListHeader({
  title,
  back,
  backLabel,
  children,
}: {
  title: string;
  back?: string;
  backLabel?: string;
  children?: ReactNode;
}) {
  return (
    <div className="list-header">
      {back && (
        <Link href={back} className="icon-button" aria-label={backLabel ?? 'Back'}>
          <ChevronLeft />
        </Link>
      )}
      <div>
        <h1>{title}</h1>
        {children}
      </div>
    </div>
  );
}
