import { ApiError, NETWORK_MESSAGE } from './client.js';

export interface UploadTarget {
  method: 'PUT';
  url: string;
  headers: Record<string, string>;
}

/**
 * PUTs the bytes straight to the object store (or the server's own signed URL in the embedded
 * shape). XMLHttpRequest, not fetch: only XHR reports upload progress in bytes.
 */
export function putWithProgress(
  target: UploadTarget,
  file: Blob,
  onProgress: (sent: number, total: number) => void,
  signal?: AbortSignal,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(target.method, target.url);
    for (const [name, value] of Object.entries(target.headers)) {
      // The browser sets these itself and refuses to be told.
      if (!/^(content-length|host)$/i.test(name)) xhr.setRequestHeader(name, value);
    }
    xhr.upload.onprogress = (event) =>
      onProgress(event.loaded, event.lengthComputable ? event.total : file.size);
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(file.size, file.size);
        resolve();
      } else {
        reject(
          new ApiError(
            xhr.status,
            'upload_failed',
            xhr.status === 413
              ? 'This photo is too large to upload.'
              : xhr.status === 403
                ? 'The upload link expired. Try again.'
                : 'The upload did not go through. Try again.',
          ),
        );
      }
    };
    xhr.onerror = () => reject(new ApiError(0, 'network', NETWORK_MESSAGE));
    xhr.onabort = () => reject(new ApiError(0, 'aborted', 'Upload cancelled.'));
    signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(file);
  });
}
