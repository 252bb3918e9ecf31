// The guest-list upload with a progress bar. Without JavaScript the form posts as usual.
(function () {
  "use strict";
  if (!window.XMLHttpRequest || !window.FormData || !window.DOMParser) { return; }

  function bind(form) {
    if (!form) { return; }
    var box = form.querySelector(".upload-progress");
    var bar = form.querySelector("progress");
    var text = form.querySelector("[data-progress-text]");
    var target = form.action || window.location.href;

    function show(message, value) {
      box.hidden = false;
      text.textContent = message;
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
          show("Uploading: " + percent + "%", percent);
        }
      });
      request.upload.addEventListener("load", function () {
        show("Uploaded. Checking every row…", null);  // no value: the bar shows work going on
      });
      request.addEventListener("load", function () {
        if (request.status < 400 && request.responseURL && request.responseURL !== target) {
          window.location.assign(request.responseURL);  // the preview, after the redirect
          return;
        }
        // The upload page again, with its message: put it in place of this one.
        var page = new DOMParser().parseFromString(request.responseText, "text/html");
        var main = page.querySelector("main");
        if (!main) { button.disabled = false; show("The upload failed. Please try again.", 0); return; }
        document.querySelector("main").replaceWith(main);
        document.title = page.title;
        var alert = main.querySelector("[role=alert]");
        if (alert) { alert.setAttribute("tabindex", "-1"); alert.focus(); }
        bind(main.querySelector("form[data-upload-progress]"));
      });
      request.addEventListener("error", function () {
        show("The upload failed: the connection dropped. Please try again.", 0);
        button.disabled = false;
      });
      request.send(new FormData(form));
    });
  }

  bind(document.querySelector("form[data-upload-progress]"));
}());
