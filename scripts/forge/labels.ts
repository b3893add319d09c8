/** Labels the factory puts on its pull requests, on every forge. */

/** A pull request that touches the control plane: the factory never merges it; a person does. */
export const HOLD_LABEL = 'aifactory:needs-human';
