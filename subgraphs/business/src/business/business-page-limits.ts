/** Page sizes of business lists; apart from the cursor code so the GraphQL model can use them without a cycle. */
export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;
