import { useEffect, useRef } from "preact/hooks";

/**
 * A `<dialog>` shown modal as soon as it mounts, giving the focus back to what opened it when it goes: the
 * keyboard and screen-reader user is left where they were.
 */
export function useModalDialog() {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const opener = document.activeElement;
    dialog.current?.showModal();
    return () => {
      if (opener instanceof HTMLElement) opener.focus();
    };
  }, []);
  return dialog;
}
