-- 0014 campaign pages: a campaign's leads are paged by id (the campaign
-- page's keyset and its CSV export, 1,000 at a time). The index on a
-- campaign's leads (0011) takes the id too, so a page is a range scan of
-- that campaign's entries in id order. Without it the planner's generic
-- plan walked the primary key and filtered by campaign: 0.35 s a page of
-- 1,000 with 300,000 leads, 7.5 s the export of a campaign of 10,000 with
-- 1,000,000. Same number of indexes on leads (one replaces the other), and
-- the drift check and recalculation read it by campaign as before.
CREATE INDEX leads_campaign_by_id ON leads (campaign_link_id, id)
	WHERE campaign_link_id IS NOT NULL;
DROP INDEX leads_campaign;
