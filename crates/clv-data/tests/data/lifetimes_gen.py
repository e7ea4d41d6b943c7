import random, datetime
random.seed(5)
rows=[]
for c in range(1,401):
    n=random.choice([1,1,2,3,5,8])
    start=datetime.date(2020,1,1)+datetime.timedelta(days=random.randrange(0,500))
    for _ in range(n):
        d=start+datetime.timedelta(days=random.randrange(0,230))
        rows.append((c,d.isoformat(),round(random.uniform(1,100),2)))
        if random.random()<0.1: rows.append((c,d.isoformat(),round(random.uniform(1,100),2)))
random.shuffle(rows)
with open("tx.csv","w") as f:
    f.write("customer_id,date,amount\n")
    for r in rows: f.write("%d,%s,%.2f\n"%r)
