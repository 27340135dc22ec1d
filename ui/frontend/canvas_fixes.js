// Two fixes to the Draw page's canvas (streamlit-drawable-canvas), added from outside since its code is not ours.
// (1) Its toolbar waits, invisible, over the canvas's top-right corner until the pointer has hovered for 0.2 s:
// a finger, or a quick mouse, starting a stroke there hits the toolbar and the stroke is lost.  Keep it above
// the canvas (in the space left for it) and let pointers through while it is hidden.  The canvas lives in a
// shadow root, so the style is added there.
// (2) It sends a drawing 200 ms after the last change, to batch edits; a digit should be read the moment the
// pen lifts.  So when a stroke ends, press its own "Update the app with this drawing" button, which sends at
// once and cancels the wait: one send per stroke.  (Listening on the window, the script runs after the
// canvas's own handlers on the document have saved the stroke.)
() => {
  if (window.drawCanvasFix) return;
  window.drawCanvasFix = true;
  const css = `.dc-toolbar:not([data-pinned=true]) { top: -2.65rem; }
    .dc-root:not(:hover) > .dc-toolbar:not([data-pinned=true]):not(:focus-within) { pointer-events: none; }`;
  const patch = () => {
    for (const host of document.querySelectorAll('[data-testid="stBidiComponentIsolated"]')) {
      const root = host.shadowRoot;
      if (root && !root.querySelector('style[data-toolbar-fix]')) {
        const style = document.createElement('style');
        style.dataset.toolbarFix = '';
        style.textContent = css;
        root.appendChild(style);
      }
    }
  };
  new MutationObserver(patch).observe(document.body, {childList: true, subtree: true});
  patch();
  let drawing = null;  // the shadow root of the canvas a stroke is being drawn on
  const down = (e) => {
    const canvas = e.composedPath().find((n) => n.classList?.contains('upper-canvas'));
    drawing = canvas ? canvas.getRootNode() : null;
  };
  const up = () => {
    const root = drawing;
    drawing = null;
    const send = root?.querySelector('button[aria-label="Update the app with this drawing"]');
    if (send) setTimeout(() => send.click(), 0);
  };
  window.addEventListener('mousedown', down, true);
  window.addEventListener('touchstart', down, true);
  window.addEventListener('mouseup', up);
  window.addEventListener('touchend', up);
}
