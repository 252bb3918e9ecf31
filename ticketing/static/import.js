// The guest-list upload with a progress bar. Without JavaScript the form posts as usual.
(function () {
  "use strict";
  if (!window.XMLHttpRequest || !window.FormData || !window.DOMParser) { return; }
  // The page's texts in the reader's language (the template's #import-text), English if absent.
  var text = { uploading: "Uploading: {percent}", checking: "Uploaded. Checking every row…",
               failed: "The upload failed. Please try again.",
               dropped: "The upload failed: the connection dropped. Please try again." };
  try {
    var given = JSON.parse(document.getElementById("import-text").textContent);
    Object.keys(given).forEach(function (key) { text[key] = given[key]; });
  } catch (ignored) { /* keep the English texts */ }
  function percentText(share) {
    try {
      return new Intl.NumberFormat(document.documentElement.lang || undefined, { style: "percent" }).format(share);
    } catch (ignored) {
      return Math.round(share * 100) + "%";
    }
  }

  function bind(form) {
    if (!form) { return; }
    var box = form.querySelector(".upload-progress");
    var bar = form.querySelector("progress");
    var line = form.querySelector("[data-progress-text]");
    var target = form.action || window.location.href;

    function show(message, value) {
      box.hidden = false;
      line.textContent = message;
      if (value === null) { bar.removeAttribute("value"); } else { bar.value = value; }
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = form.querySelector("[type=submit]");
      button.disabled = true;
      var request = new XMLHttpRequest();
      request.open("POST", target);
      request.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) {
          var percent = Math.round((e.loaded / e.total) * 100);
          show(text.uploading.replace("{percent}", percentText(e.loaded / e.total)), percent);
        }
      });
      request.upload.addEventListener("load", function () {
        show(text.checking, null);  // no value: the bar shows work going on
      });
      request.addEventListener("load", function () {
        if (request.status < 400 && request.responseURL && request.responseURL !== target) {
          window.location.assign(request.responseURL);  // the preview, after the redirect
          return;
        }
        // The upload page again, with its message: put it in place of this one.
        var page = new DOMParser().parseFromString(request.responseText, "text/html");
        var main = page.querySelector("main");
        if (!main) { button.disabled = false; show(text.failed, 0); return; }
        document.querySelector("main").replaceWith(main);
        document.title = page.title;
        var alert = main.querySelector("[role=alert]");
        if (alert) { alert.setAttribute("tabindex", "-1"); alert.focus(); }
        bind(main.querySelector("form[data-upload-progress]"));
      });
      request.addEventListener("error", function () {
        show(text.dropped, 0);
        button.disabled = false;
      });
      request.send(new FormData(form));
    });
  }

  bind(document.querySelector("form[data-upload-progress]"));
}());
