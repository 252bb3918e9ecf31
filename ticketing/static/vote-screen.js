// The projector page of the audience's vote (public/vote_screen.html): every few seconds it
// reads itself again and puts the fresh results (and the vote's state) in place, without
// reloading the page. Without this script the page shows the results as they were when opened.
(() => {
  "use strict";
  const screen = document.querySelector("[data-refresh-seconds]");
  if (!screen) return;
  const every = Number(screen.dataset.refreshSeconds) * 1000;
  const refresh = async () => {
    try {
      const answer = await fetch(window.location.href, { cache: "no-store", credentials: "same-origin" });
      if (answer.ok) {
        const fresh = new DOMParser().parseFromString(await answer.text(), "text/html")
          .querySelector("[data-refresh-seconds]");
        if (fresh) document.querySelector("[data-refresh-seconds]").replaceChildren(...fresh.childNodes);
      }
    } catch (error) {
      // The network dropped for a moment: the results stay as they were until the next try.
    }
    window.setTimeout(refresh, every);
  };
  window.setTimeout(refresh, every);
})();
