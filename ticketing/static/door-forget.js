// The staff login page, shown to anyone not logged in (after logging out, or when a session has
// lapsed): the phone forgets what the door kept of the attendees, so that the next person who
// picks it up finds no names on it.
//   - the door copies (every ticket holder's name) and the notices (conflicts name people) go;
//   - the staff pages the service worker kept (they show the volunteer) go;
//   - scans still waiting to be sent stay: they are people let in at the door, and they are sent
//     when someone logs in on this phone and opens a door page (door-offline.js).
// The door's scripts and styles (door-assets-*) stay: they are the same for everyone.
(() => {
  "use strict";
  const DB_NAME = "ticketing-door";
  const FORGOTTEN = ["copies", "notices"];

  function forgetCopies() {
    return new Promise((resolve) => {
      if (!window.indexedDB) return resolve();
      const request = indexedDB.open(DB_NAME);
      // No database yet: nothing to forget, and none is created here (door-offline.js does).
      request.onupgradeneeded = () => request.transaction.abort();
      request.onerror = () => resolve();
      request.onsuccess = () => {
        const db = request.result;
        const stores = FORGOTTEN.filter((name) => db.objectStoreNames.contains(name));
        if (!stores.length) {
          db.close();
          return resolve();
        }
        const tx = db.transaction(stores, "readwrite", { durability: "strict" });
        for (const name of stores) tx.objectStore(name).clear();
        tx.oncomplete = tx.onerror = tx.onabort = () => { db.close(); resolve(); };
      };
    });
  }

  async function forgetPages() {
    if (!window.caches) return;
    const names = await caches.keys();
    await Promise.all(names.filter((name) => name.startsWith("door-pages-")).map((name) => caches.delete(name)));
  }

  Promise.all([forgetCopies(), forgetPages().catch(() => {})]).then(() => {
    document.documentElement.dataset.doorForgotten = "true"; // for the tests
  });
})();
