(() => {
  "use strict";
  // pipeline serve: reload the page when the site is rebuilt (its version changes).
  const shown = document.documentElement.dataset.liveVersion;
  const poll = () => {
    fetch("/__version", { cache: "no-store" })
      .then((answer) => (answer.ok ? answer.text() : shown))
      .then((version) => {
        if (version.trim() !== shown) {
          window.location.reload();
        } else {
          window.setTimeout(poll, 250);
        }
      })
      .catch(() => window.setTimeout(poll, 1000));
  };
  window.setTimeout(poll, 250);
})();
