create table t(id integer primary key, word text);
insert into t(word) values ('alpha'), ('beta'), ('gamma');
.mode list
select id, upper(word), length(word) from t order by word desc;
select count(*), group_concat(word, '+') from t;
