"""Message catalogues of the areas of the pages (Polish first, English second); web.i18n merges
them into one catalogue and refuses a key defined by two areas."""
