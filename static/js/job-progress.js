// Keeps a report's status page up to date while the report is built: every two
// seconds it asks the same address for JSON ({status, progress, download_url, ...})
// and updates the progress bar, the message and, when done, the download button.
// Without JavaScript the page offers a "Check again" link instead.
const INTERVAL_MS = 2000
const ACTIVE = new Set(['pending', 'running'])
const TAGS = {
  pending: 'govuk-tag--grey',
  running: 'govuk-tag--blue',
  done: 'govuk-tag--green',
  failed: 'govuk-tag--red'
}

const root = document.querySelector('[data-job-progress]')

if (root && ACTIVE.has(root.dataset.status)) {
  const url = root.dataset.jobUrl
  const find = (id) => document.getElementById(id)
  const message = find('report-message')
  const progress = find('report-progress')
  const tags = document.querySelectorAll('[data-job-status-tag]')
  let lastMessage = message ? message.textContent : ''

  // The page refreshes itself, so the manual link is not needed.
  const checkAgain = find('report-check-again')
  if (checkAgain) checkAgain.hidden = true

  // Only change the live region when the words change, so screen readers do not
  // repeat the same announcement every two seconds.
  const say = (text) => {
    if (message && text !== lastMessage) {
      message.textContent = text
      lastMessage = text
    }
  }

  const show = (state) => {
    if (progress) {
      progress.value = state.progress
      progress.textContent = `${state.progress}%`
    }
    for (const tag of tags) {
      tag.textContent = state.status_label
      tag.classList.remove(...Object.values(TAGS))
      tag.classList.add(TAGS[state.status] || TAGS.pending)
    }
    const active = ACTIVE.has(state.status)
    find('report-building').hidden = !active
    if (active) {
      say(root.dataset.msgBuilding.replace('__progress__', state.progress))
    } else if (state.status === 'done' && state.download_url) {
      find('report-download').href = state.download_url
      find('report-done').hidden = false
      say(root.dataset.msgDone)
    } else if (state.status === 'failed') {
      find('report-error').textContent = state.error
      find('report-failed').hidden = false
      say(root.dataset.msgFailed)
    }
    return active
  }

  const poll = async () => {
    let again = true
    try {
      const response = await fetch(url, {
        headers: { Accept: 'application/json' },
        credentials: 'same-origin',
        cache: 'no-store'
      })
      const type = response.headers.get('Content-Type') || ''
      if (response.ok && type.startsWith('application/json')) {
        again = show(await response.json())
      } else {
        // Signed out, or the server is unwell: stop, and offer the manual link again.
        again = false
        if (checkAgain) checkAgain.hidden = false
      }
    } catch (error) {
      // A dropped connection: try again on the next tick.
    }
    if (again) setTimeout(poll, INTERVAL_MS)
  }

  setTimeout(poll, INTERVAL_MS)
}
