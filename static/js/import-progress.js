// Keeps an upload's page up to date while its file is checked and stored: every two
// seconds it asks the same address for JSON ({status, progress, active}), moves the
// progress bar, and reloads the page once the work has finished so the result (or the
// list of mistakes) shows. Without JavaScript the page offers a "Check again" link.
const INTERVAL_MS = 2000
const root = document.querySelector('[data-import-progress]')

if (root) {
  const progress = document.getElementById('import-progress')
  const message = document.getElementById('import-message')
  const checkAgain = document.getElementById('import-check-again')
  if (checkAgain) checkAgain.hidden = true
  let lastProgress = progress ? progress.value : 0

  const poll = async () => {
    try {
      const response = await fetch(root.dataset.jobUrl, { headers: { Accept: 'application/json' } })
      if (!response.ok) throw new Error(response.statusText)
      const state = await response.json()
      if (!state.active) {
        window.location.reload()
        return
      }
      if (progress && state.progress !== lastProgress) {
        progress.value = state.progress
        progress.textContent = `${state.progress}%`
        // Announce only every tenth, so screen readers are not flooded.
        if (message && Math.floor(state.progress / 10) !== Math.floor(lastProgress / 10)) {
          message.textContent = message.textContent.replace(/\d+%/, `${state.progress}%`)
        }
        lastProgress = state.progress
      }
    } catch (error) {
      if (checkAgain) checkAgain.hidden = false
    }
    window.setTimeout(poll, INTERVAL_MS)
  }
  window.setTimeout(poll, INTERVAL_MS)
}
