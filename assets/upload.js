// "Open a study": stream the chosen files to /studies/upload (raw body, with progress)
// and hand their digests to the page (registered in pages/open.py).
window.dash_clientside = Object.assign({}, window.dash_clientside, {
    upload: {
        send: function (n, ids) {
            if (!n) { return window.dash_clientside.no_update; }
            const setProps = window.dash_clientside.set_props;
            const one = function (input, kind) {
                return new Promise(function (resolve) {
                    const el = document.getElementById(input);
                    const file = el && el.files && el.files[0];
                    if (!file) { resolve(null); return; }
                    const xhr = new XMLHttpRequest();
                    xhr.open('POST', '/studies/upload?kind=' + kind);
                    xhr.setRequestHeader('X-Explorer-Upload', '1');
                    xhr.setRequestHeader('X-Filename', file.name);
                    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
                    xhr.upload.onprogress = function (e) {
                        if (e.lengthComputable && setProps) {
                            setProps('open-progress', {
                                value: Math.round(100 * e.loaded / e.total),
                                label: kind + ' ' + Math.round(100 * e.loaded / e.total) + '%'
                            });
                        }
                    };
                    xhr.onload = function () {
                        let body = {};
                        try { body = JSON.parse(xhr.responseText); } catch (err) {
                            body = {error: 'The server did not accept the file.'};
                        }
                        resolve(Object.assign({kind: kind, status: xhr.status}, body));
                    };
                    xhr.onerror = function () {
                        resolve({kind: kind, error: 'The upload was interrupted.'});
                    };
                    xhr.send(file);
                });
            };
            return Promise.all([one(ids.patient, 'patient'), one(ids.lesions, 'lesions'),
                                one(ids.mapping, 'mapping')]).then(function (res) {
                return {patient: res[0], lesions: res[1], mapping: res[2], at: Date.now()};
            });
        }
    }
});

// Dash has no plain <input type="file">: put one into every .file-slot as it appears.
(function () {
    function fill(root) {
        (root.querySelectorAll ? root.querySelectorAll('.file-slot') : []).forEach(function (slot) {
            if (slot.querySelector('input[type=file]')) { return; }
            const input = document.createElement('input');
            input.type = 'file';
            input.id = slot.getAttribute('data-input');
            input.accept = slot.getAttribute('data-accept') || '';
            input.className = 'form-control';
            slot.appendChild(input);
        });
    }
    new MutationObserver(function () { fill(document); })
        .observe(document.documentElement, {childList: true, subtree: true});
})();
